/** The console's refusal and not-found pages: in words, with a way back, never a JSON body. */
import { Layout, type PageContext } from './layout.tsx';

export function ForbiddenPage(props: { ctx: PageContext }) {
  return (
    <Layout ctx={props.ctx} title="没有权限">
      <div class="card">
        <p>您的账户角色不能打开这个页面。如需使用，请联系车管所管理员调整权限。</p>
        <p>
          <a href="/console">回到工作台</a>
        </p>
      </div>
    </Layout>
  );
}

export function NotFoundPage(props: { ctx: PageContext }) {
  return (
    <Layout ctx={props.ctx} title="页面不存在">
      <div class="card">
        <p>没有找到这个页面或记录。它可能已被删除，或地址有误。</p>
        <p>
          <a href="/console">回到工作台</a>
        </p>
      </div>
    </Layout>
  );
}
